import { expect, test } from '@playwright/test';
import { admin, open, signIn, standard, uniqueEmail } from './helpers';

test('an anonymous visitor is sent to sign in @no-js', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('an administrator signs in and sees ADD STORE and the Users page @no-js', async ({ page }, testInfo) => {
  await signIn(page, admin, testInfo);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'ADD STORE' })).toBeVisible();
  await expect(page.getByText('Choose ADD STORE to connect your first Shopify store.')).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('cell', { name: standard.email, exact: true })).toBeVisible();
});

test('a wrong password and an unknown email get the same message @no-js', async ({ page }, testInfo) => {
  for (const email of [admin.email, uniqueEmail('nobody', testInfo)]) {
    await open(page, '/login', testInfo);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toHaveText('The email or password is not correct.');
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  }
});

test('repeated failed sign-ins are slowed down and say so @no-js', async ({ page }, testInfo) => {
  const email = uniqueEmail('guess', testInfo);
  for (let attempt = 1; attempt <= 5; attempt++) {
    await open(page, '/login', testInfo);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(`guess number ${attempt}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toBeVisible();
  }
  await expect(page.getByRole('alert')).toContainText('Too many failed sign-in attempts for this account.');
});

test('signing out returns to sign-in and the Stores page needs signing in again @no-js', async ({ page }, testInfo) => {
  await signIn(page, standard, testInfo);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
});
